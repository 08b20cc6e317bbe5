from django import forms

from .domain.instructions import COLUMNS as INSTRUCTION_COLUMNS
from .models import Account, Instrument, Side, Strategy, Upload, Urgency
from .services.intake import intake_venues


class OrderEntryForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none(), to_field_name="code")
    instrument = forms.ModelChoiceField(queryset=Instrument.objects.all(), to_field_name="symbol")
    side = forms.ChoiceField(choices=Side.choices)
    quantity = forms.IntegerField(min_value=1)
    limit_price = forms.DecimalField(
        required=False, max_digits=18, decimal_places=6, help_text="Leave empty for a market order"
    )
    strategy = forms.ChoiceField(choices=[("", "From urgency"), *Strategy.choices], required=False)
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.MEDIUM)
    client_order_id = forms.CharField(max_length=64, help_text="Your reference; a repeat returns the original order")
    # Execution instructions: blank takes the urgency's default. Checked by intake, as a file's columns are.
    start_time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time", "step": 1}))
    end_time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time", "step": 1}))
    max_participation = forms.DecimalField(
        required=False, max_digits=4, decimal_places=1, label="Max participation %", help_text="1-50"
    )
    aggressiveness = forms.DecimalField(required=False, max_digits=3, decimal_places=2, help_text="0 patient - 1")
    exclude_venues = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(owner=user)
        venues = intake_venues()
        self.fields["exclude_venues"].choices = [(code, code) for code in sorted(venues.lit | venues.dark)]

    def clean_limit_price(self):
        price = self.cleaned_data["limit_price"]
        if price is not None and price <= 0:
            raise forms.ValidationError("A limit price must be above zero; leave it empty for a market order.")
        return price

    def entry_fields(self):
        return [field for field in self if field.name not in INSTRUCTION_COLUMNS]

    def instruction_fields(self):
        return [field for field in self if field.name in INSTRUCTION_COLUMNS]

    def instructions_open(self) -> bool:
        """Show the instructions when any was given or is wrong."""
        return any(field.errors or field.value() for field in self.instruction_fields())

    def instructions(self) -> dict:
        """The cleaned choices as intake reads them (participation typed in percent)."""
        data = self.cleaned_data
        participation = data.get("max_participation")
        return {
            "start_time": data.get("start_time") and data["start_time"].isoformat(),
            "end_time": data.get("end_time") and data["end_time"].isoformat(),
            "max_participation": None if participation is None else f"{participation}%",
            "aggressiveness": data.get("aggressiveness"),
            "exclude_venues": data.get("exclude_venues") or None,
        }


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX, up to 100,000 rows")
    mode = forms.ChoiceField(choices=Upload.Mode.choices, initial=Upload.Mode.ACCEPT_VALID, widget=forms.RadioSelect)
