"""What the project domain tells the apps above it, without importing them (DESIGN.md §2).

`change_request_submitted` is sent inside the submitter's transaction: governance opens the
change's review there, so a change request is never submitted without one.
"""

from django.dispatch import Signal

change_request_submitted = Signal()  # change_request=ChangeRequest
