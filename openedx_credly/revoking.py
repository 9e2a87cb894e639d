"""Revoking badges on Credly when the platform takes the achievement back."""


def revoke_for_certificate(user_id, course_key, metadata):  # pylint: disable=unused-argument
    """
    The learner's certificate in ``course_key`` was revoked.

    Revokes, through a task, the badges of the course's mappings that ask for it
    (``revoke_on_certificate_revoked``). Not implemented yet.
    """
    return []
