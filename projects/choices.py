from django.db import models


class Category(models.TextChoices):
    SOFTWARE = "software", "Software"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    SECURITY = "security", "Security"
    CLOUD_MIGRATION = "cloud_migration", "Cloud migration"
    DATA = "data", "Data & analytics"
    NETWORK = "network", "Network"
    ERP = "erp", "ERP / business applications"
    WORKPLACE = "workplace", "Digital workplace"


class DeliveryMethod(models.TextChoices):
    WATERFALL = "waterfall", "Waterfall"
    AGILE = "agile", "Agile"
    HYBRID = "hybrid", "Hybrid"


class LifecycleState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class RAG(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class ReportState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class ExpenseType(models.TextChoices):
    CAPEX = "capex", "Capex"
    OPEX = "opex", "Opex"


class CostCategory(models.TextChoices):
    LABOUR = "labour", "Labour"
    VENDOR = "vendor", "Vendor"
    LICENCE = "licence", "Licence"
    HARDWARE = "hardware", "Hardware"
    CLOUD = "cloud", "Cloud"


class RiskResponse(models.TextChoices):
    AVOID = "avoid", "Avoid"
    MITIGATE = "mitigate", "Mitigate"
    TRANSFER = "transfer", "Transfer"
    ACCEPT = "accept", "Accept"


class RaidStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ChangeRequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
