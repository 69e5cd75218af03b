from django.db import models


class ResourceKind(models.TextChoices):
    PERSON = "person", "Named person"
    ROLE = "role", "Role (generic capacity)"
