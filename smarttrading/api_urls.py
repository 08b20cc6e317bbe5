from django.urls import path, re_path

from gateway import apis as gateway_apis
from orders import apis
from routing import apis as execution_apis
from tca import apis as tca_apis

urlpatterns = [
    path("instruments/", apis.InstrumentListApi.as_view(), name="instruments"),
    path("instruments/<str:symbol>/quote/", execution_apis.MarketQuoteApi.as_view(), name="market-quote"),
    path("instruments/<str:symbol>/bars/", execution_apis.MarketBarsApi.as_view(), name="market-bars"),
    path("accounts/", apis.AccountListApi.as_view(), name="accounts"),
    path("tokens/", apis.TokenListCreateApi.as_view(), name="tokens"),
    path("tokens/<int:token_id>/", apis.TokenRevokeApi.as_view(), name="token"),
    path("tokens/<int:token_id>/rotate/", apis.TokenRotateApi.as_view(), name="token-rotate"),
    path("accounts/<str:code>/risk-limits/", apis.AccountRiskLimitsApi.as_view(), name="account-risk-limits"),
    path("orders/", apis.OrderListCreateApi.as_view(), name="orders"),
    path("orders/bulk/", apis.OrderBulkCreateApi.as_view(), name="orders-bulk"),
    path("orders/upload/", apis.OrderUploadApi.as_view(), name="orders-upload"),
    path("orders/totals/", apis.OrderTotalsApi.as_view(), name="orders-totals"),
    path("orders/uploads/<int:upload_id>/", apis.UploadDetailApi.as_view(), name="upload"),
    path("orders/<int:order_id>/", apis.OrderDetailApi.as_view(), name="order"),
    path("orders/<int:order_id>/audit/", gateway_apis.OrderAuditApi.as_view(), name="order-audit"),
    path("orders/<int:order_id>/reports/", apis.OrderReportsApi.as_view(), name="order-reports"),
    path("orders/<int:order_id>/cancel/", execution_apis.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<int:order_id>/replace/", execution_apis.OrderReplaceApi.as_view(), name="order-replace"),
    path("orders/replace/bulk/", execution_apis.BulkReplaceApi.as_view(), name="orders-replace-bulk"),
    path("allocations/eod.csv", execution_apis.AllocationsFileApi.as_view(), name="allocations-file"),
    path("parents/", execution_apis.ParentListApi.as_view(), name="parents"),
    path("parents/bulk/", execution_apis.ParentBulkApi.as_view(), name="parents-bulk"),
    path("parents/<int:parent_id>/", execution_apis.ParentDetailApi.as_view(), name="parent"),
    path("parents/<int:parent_id>/orders/", execution_apis.ParentOrdersApi.as_view(), name="parent-orders"),
    path("parents/<int:parent_id>/children/", execution_apis.ParentChildrenApi.as_view(), name="parent-children"),
    path("parents/<int:parent_id>/fills/", execution_apis.ParentFillsApi.as_view(), name="parent-fills"),
    path("parents/<int:parent_id>/audit/", execution_apis.ParentAuditApi.as_view(), name="parent-audit"),
    path("parents/<int:parent_id>/scorecard/", execution_apis.ParentScorecardApi.as_view(), name="parent-scorecard"),
    path("parents/<int:parent_id>/pause/", execution_apis.ParentPauseApi.as_view(), name="parent-pause"),
    path("parents/<int:parent_id>/resume/", execution_apis.ParentResumeApi.as_view(), name="parent-resume"),
    path("parents/<int:parent_id>/cancel/", execution_apis.ParentCancelApi.as_view(), name="parent-cancel"),
    path("sessions/", execution_apis.SessionListApi.as_view(), name="sessions"),
    path("sessions/<int:session_id>/resume/", execution_apis.SessionResumeApi.as_view(), name="session-resume"),
    path("kill-switch/", execution_apis.KillSwitchApi.as_view(), name="kill-switch"),
    path("aggregate/", execution_apis.AggregateApi.as_view(), name="aggregate"),
    path("tca/parents/<int:parent_id>/", tca_apis.ParentTcaApi.as_view(), name="tca-parent"),
    re_path(
        r"^tca/parents/(?P<parent_id>\d+)/report\.(?P<kind>zip|xlsx|html)$",
        tca_apis.ParentTcaDownloadApi.as_view(),
        name="tca-parent-report",
    ),
    path("tca/parents/<int:parent_id>/comparison/", tca_apis.ParentComparisonApi.as_view(), name="tca-comparison"),
    path("tca/reports/", tca_apis.DeskReportCreateApi.as_view(), name="tca-reports"),
    re_path(
        r"^tca/reports/(?P<job_id>\d+)/report\.(?P<kind>zip|xlsx|html)$",
        tca_apis.DeskReportDownloadApi.as_view(),
        name="tca-report-download",
    ),
    path("tca/jobs/<int:job_id>/", tca_apis.TcaJobApi.as_view(), name="tca-job"),
]
