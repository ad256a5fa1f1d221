from django.urls import path

from wizard.views import accounts, steps

urlpatterns = [
    path("", steps.start, name="start"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("migrations/new/", steps.new_migration, name="new_migration"),
    path("migrations/<int:migration_id>/", steps.migration, name="migration"),
]
