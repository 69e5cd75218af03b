from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from governance import tasks  # noqa: F401  (registered in every process, as beat names it)
        from governance.services.reviews import change_review_open
        from projects.models import ChangeRequest
        from projects.signals import change_request_submitted

        def open_review(sender, change_request, **kwargs):
            change_review_open(change=change_request)

        change_request_submitted.connect(
            open_review, sender=ChangeRequest, weak=False, dispatch_uid="governance-change-review"
        )
