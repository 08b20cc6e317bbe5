from django.contrib import admin

from .models import DARK_FIELDS, ChildOrder, Fill, MarketSession, Venue


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "active", "maker_fee", "taker_fee", "flow_share", "entry_latency_us")
    list_editable = ("active", "maker_fee", "taker_fee")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "active")}),
        ("Fees per share (negative is a rebate)", {"fields": ("maker_fee", "taker_fee")}),
        (
            "Flow and latency",
            {"fields": ("flow_share", "entry_latency_us", "entry_jitter_us", "report_latency_us", "report_jitter_us")},
        ),
        ("Dark pool", {"fields": DARK_FIELDS}),
    )


@admin.register(MarketSession)
class MarketSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "instrument", "trading_date", "status", "step_no")
    exclude = ("state",)


@admin.register(ChildOrder)
class ChildOrderAdmin(admin.ModelAdmin):
    list_display = ("id", "parent", "venue", "side", "order_type", "quantity", "filled_quantity", "sim_time")


@admin.register(Fill)
class FillAdmin(admin.ModelAdmin):
    list_display = ("id", "parent", "venue", "quantity", "price", "fee", "sim_time")
