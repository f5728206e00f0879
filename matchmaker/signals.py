"""What happened, for whoever listens: notifications and mail subscribe here, so the curation and
verification services never import them (and a job or an API that calls a service notifies the same).

Receivers run inside the sender's transaction: they may add rows to the session (a notification, an
outbox email), which commit or roll back with the change that caused them. They must never do slow or
failing work (no SMTP here; the outbox is sent after commit).
"""

from blinker import Namespace

_signals = Namespace()

# sender: the Session; kwargs: introduction (models.Introduction, already moved), action (str, the
# transition's name in services.curation.TRANSITIONS), actor_id (int | None), before (the previous stage).
introduction_moved = _signals.signal("introduction-moved")

# sender: the Session; kwargs: organisation_id, what ("organisation" or "certificate"), event
# ("verified", "withdrawn", "expired"), actor_id (int | None), detail (dict of plain values).
verification_changed = _signals.signal("verification-changed")
