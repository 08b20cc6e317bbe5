from django.contrib import admin

from .models import ChildOrder, Fill, MarketSession, Venue


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "maker_fee", "taker_fee")


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
