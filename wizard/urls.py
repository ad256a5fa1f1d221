from django.urls import path

from wizard.views import accounts, directory, directory_accounts, steps

DIRECTORY = "migrations/<int:migration_id>/directory/"

urlpatterns = [
    path("", steps.start, name="start"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("migrations/new/", steps.new_migration, name="new_migration"),
    path("migrations/<int:migration_id>/", steps.migration, name="migration"),
    path(DIRECTORY, directory.overview, name="directory"),
    path(DIRECTORY + "connection/", directory.connection, name="directory_connection"),
    path(DIRECTORY + "import/", directory.start_import, name="directory_start_import"),
    path(DIRECTORY + "imports/<int:import_id>/", directory.import_status, name="directory_import"),
    path(DIRECTORY + "users/", directory.users, name="directory_users"),
    path(DIRECTORY + "users/select/", directory.select_users, name="directory_select_users"),
    path(DIRECTORY + "users/<int:user_id>/", directory.user, name="directory_user"),
    path(DIRECTORY + "groups/", directory.groups, name="directory_groups"),
    path(DIRECTORY + "passwords/", directory_accounts.passwords, name="directory_passwords"),
    path(
        DIRECTORY + "passwords/purge/", directory_accounts.purge_passwords,
        name="directory_purge_passwords",
    ),
    path(DIRECTORY + "export/users.csv", directory_accounts.export_users,
         name="directory_export_users"),
    path(DIRECTORY + "export/groups.csv", directory_accounts.export_groups,
         name="directory_export_groups"),
    path(DIRECTORY + "check-accounts/", directory_accounts.check_accounts,
         name="directory_check_accounts"),
]
