"""Views, split by audience: steps.py for admins, dashboard.py for admins and helpdesk,
checklist.py for a user's own sign-off."""
