from django import forms

from .models import Account, Instrument, Side, Strategy, Upload, Urgency


class OrderEntryForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none(), to_field_name="code")
    instrument = forms.ModelChoiceField(queryset=Instrument.objects.all(), to_field_name="symbol")
    side = forms.ChoiceField(choices=Side.choices)
    quantity = forms.IntegerField(min_value=1)
    limit_price = forms.DecimalField(required=False, max_digits=18, decimal_places=6, min_value=0)
    strategy = forms.ChoiceField(choices=[("", "From urgency"), *Strategy.choices], required=False)
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.MEDIUM)
    client_order_id = forms.CharField(max_length=64, help_text="Your reference; a repeat returns the original order")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(owner=user)


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX, up to 100,000 rows")
    mode = forms.ChoiceField(choices=Upload.Mode.choices, initial=Upload.Mode.ACCEPT_VALID, widget=forms.RadioSelect)
