"""The 16 standards of the WCO Framework of Standards on Cross-Border E-Commerce (2022 numbering), each
with the capability of this product that serves it and the live KPIs that show it working. Kept as
data (domain.md, section 2): titles of standards 7-14 follow secondary sources."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# (number, title, capability, [(summary key, KPI label, unit)]); a unit spaced from its figure
# ("12.5 %", "1.4 h") as on the dashboard, a score's scale written against it ("95.0/100").
STANDARDS = [
    (1, _("Legal framework for advance electronic data"),
     _("Intake API; timeliness recorded for every declaration"),
     [("total", _("Declarations received"), ""), ("pre_arrival_share", _("Received before arrival"), " %")]),
    (2, _("International standards for advance electronic data"),
     _("Reference dataset profiles mapped to WCO, EU and UPU elements"),
     [("total", _("Declarations validated against a profile"), "")]),
    (3, _("Data quality"),
     _("Data-quality scoring: timeliness, accuracy, completeness, consistency; several sources cross-checked"),
     [("dq_average", _("Average data-quality score"), "/100"), ("dq_finding_rate", _("Declarations with a finding"), " %")]),
    (4, _("Risk management for facilitation and control"),
     _("Celery risk engine: dynamic, explainable, analyst-editable rules, feedback from outcomes"),
     [("inspection_rate", _("Inspection rate"), " %"), ("hit_rate", _("Hit rate"), " %")]),
    (5, _("Non-intrusive inspection and data analytics"),
     _("Inspection orders and outcomes (physical or NII scan), analytics on outcomes"),
     [("inspection_rate", _("Inspection rate"), " %")]),
    (6, _("Simplified clearance procedures"),
     _("Pre-arrival processing, release on arrival for green, return and refund procedure"),
     [("release_median_h", _("Median release time"), " h"), ("release_p90_h", _("90th percentile release time"), " h")]),
    (7, _("AEO concept extended to e-commerce"),
     _("AEO registry of e-commerce operators; benefits wired into risk and revenue"),
     [("aeo_share", _("AEO share of volume"), " %")]),
    (8, _("Models of revenue collection"),
     _("Revenue module: several collection models, verification of self-assessed amounts"),
     [("revenue_assessed", _("Revenue assessed"), ""), ("discrepancies", _("Self-assessment discrepancies"), "")]),
    (9, _("Return goods"), _("Returns and invalidation with refunds"),
     [("returns", _("Returns"), "")]),
    (10, _("Prevention of fraud and illicit trade"),
     _("Rules for undervaluation, splitting, misdescription, prohibited goods, watchlists"),
     [("hit_rate", _("Hit rate"), " %")]),
    (11, _("Inter-agency cooperation"), _("Operator API and webhooks; data exports"), []),
    (12, _("Public-private partnership"), _("Operator API and webhooks; data exports"), []),
    (13, _("International cooperation"), _("Operator API and webhooks; data exports"), []),
    (14, _("Communication, public awareness"), _("Public duty and tax estimator and rules pages"), []),
    (15, _("Mechanism of measurement"), _("KPI dashboards and CSV exports"),
     [("total", _("Declarations measured"), "")]),
    (16, _("Technological developments and innovation"),
     _("Open API (OpenAPI document), interoperability with standard messages, learned risk scoring"),
     []),
]  # fmt: skip
