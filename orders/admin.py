from django.contrib import admin

from .models import Account, Allocation, AuditEvent, Instrument, Order, ParentOrder, RiskLimits


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("symbol", "name", "tick_size", "lot_size", "reference_price")


class RiskLimitsInline(admin.StackedInline):
    model = RiskLimits
    filter_horizontal = ("restricted_instruments",)
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "owner")
    inlines = (RiskLimitsInline,)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "client_order_id", "account", "instrument", "side", "quantity", "status", "filled_quantity")
    list_filter = ("status", "side", "source")
    readonly_fields = [f.name for f in Order._meta.fields]


@admin.register(ParentOrder)
class ParentOrderAdmin(admin.ModelAdmin):
    list_display = ("id", "instrument", "side", "strategy", "quantity", "filled_quantity", "status", "start", "end")
    list_filter = ("status", "strategy")


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "parent", "quantity", "price", "venue")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "actor", "at", "order", "parent")
    list_filter = ("kind",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
