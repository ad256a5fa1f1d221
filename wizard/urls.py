from django.urls import path

from wizard.views import (
    accounts,
    addresses,
    audit,
    checklist,
    cutover,
    dashboard,
    directory,
    directory_accounts,
    fetching,
    reports,
    servers,
    shared_folders,
    steps,
    waves,
)

DIRECTORY = "migrations/<int:migration_id>/directory/"
MIGRATION = "migrations/<int:migration_id>/"

urlpatterns = [
    path("", steps.start, name="start"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("language/", accounts.language, name="language"),
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
        DIRECTORY + "passwords/purge/",
        directory_accounts.purge_passwords,
        name="directory_purge_passwords",
    ),
    path(
        DIRECTORY + "export/users.csv",
        directory_accounts.export_users,
        name="directory_export_users",
    ),
    path(
        DIRECTORY + "export/groups.csv",
        directory_accounts.export_groups,
        name="directory_export_groups",
    ),
    path(
        DIRECTORY + "check-accounts/",
        directory_accounts.check_accounts,
        name="directory_check_accounts",
    ),
    # the procedure's steps (issue 5)
    path(MIGRATION + "steps/<str:key>/", steps.step, name="step"),
    path(MIGRATION + "steps/<str:key>/status/", steps.set_status, name="step_status"),
    path(MIGRATION + "confirm/<str:key>/", steps.confirm, name="confirm"),
    path(MIGRATION + "servers/<str:role>/", servers.save_server, name="save_server"),
    path(MIGRATION + "jobs/<str:kind>/start/", steps.start_job, name="start_job"),
    path(MIGRATION + "jobs/<int:job_id>/", steps.job, name="job"),
    path(MIGRATION + "copy/settings/", steps.copy_settings, name="copy_settings"),
    path(MIGRATION + "copy/<str:what>/", steps.copy_control, name="copy_control"),
    path(MIGRATION + "trial/<int:user_id>/", steps.trial_copy, name="trial_copy"),
    path(MIGRATION + "mail-flow/", steps.mail_flow_settings, name="mail_flow_settings"),
    path(MIGRATION + "users/<int:user_id>/checklist/", checklist.checklist, name="checklist"),
    path(MIGRATION + "users/<int:user_id>/checklist/<str:key>/tick/", checklist.tick, name="tick"),
    path(
        MIGRATION + "users/<int:user_id>/checklist/<str:key>/untick/",
        checklist.untick,
        name="untick",
    ),
    path(MIGRATION + "audit/", audit.audit_log, name="audit"),
    path("signoff/<str:token>/", checklist.signoff, name="signoff"),
]

# the dashboard, each user's copy, and the reports (issue 6)
DASHBOARD = "migrations/<int:migration_id>/dashboard/"
urlpatterns += [
    path(DASHBOARD, dashboard.dashboard, name="dashboard"),
    path(DASHBOARD + "rows/", dashboard.dashboard_rows, name="dashboard_rows"),
    path(DASHBOARD + "users/<int:user_id>/", dashboard.mailbox_detail, name="mailbox_detail"),
    path(
        DASHBOARD + "users/<int:user_id>/retry/",
        dashboard.retry_user,
        name="dashboard_retry_user",
    ),
    path(DASHBOARD + "pause/", dashboard.pause, name="dashboard_pause"),
    path(DASHBOARD + "resume/", dashboard.resume, name="dashboard_resume"),
    path(DASHBOARD + "retry-failed/", dashboard.retry_failed, name="dashboard_retry_failed"),
    path(DASHBOARD + "delta/", dashboard.run_delta, name="dashboard_delta"),
    path(DASHBOARD + "notifications/", dashboard.notifications, name="dashboard_notifications"),
    path(DASHBOARD + "report/users.csv", reports.users_csv, name="report_users_csv"),
    path(DASHBOARD + "report/users.json", reports.users_json, name="report_users_json"),
    path(DASHBOARD + "report/folders.csv", reports.folders_csv, name="report_folders_csv"),
    path(DASHBOARD + "report/folders.json", reports.folders_json, name="report_folders_json"),
    path(DASHBOARD + "report/", reports.final_report, name="final_report"),
]

# internal addresses, shared folders and mail fetching accounts (issue 8)
ADDRESSES = "migrations/<int:migration_id>/addresses/"
SHARED = "migrations/<int:migration_id>/shared-folders/"
FETCHING = "migrations/<int:migration_id>/fetching/"
urlpatterns += [
    path(ADDRESSES, addresses.address_map, name="address_map"),
    path(ADDRESSES + "map.csv", addresses.address_map_download, name="address_map_csv"),
    path(ADDRESSES + "convert/", addresses.convert, name="address_convert"),
    path(ADDRESSES + "convert/<str:token>/", addresses.download, name="address_download"),
    path(SHARED, shared_folders.page, name="shared_folders"),
    path(SHARED + "status/", shared_folders.status, name="shared_folders_status"),
    path(SHARED + "look/", shared_folders.look, name="shared_folders_look"),
    path(SHARED + "settings/", shared_folders.settings, name="shared_folders_settings"),
    path(SHARED + "method/", shared_folders.method, name="shared_folders_method"),
    path(SHARED + "choose/", shared_folders.choose, name="shared_folders_choose"),
    path(SHARED + "copy/", shared_folders.copy, name="shared_folders_copy"),
    path(SHARED + "rights/", shared_folders.grant, name="shared_folders_grant"),
    path(SHARED + "rights/apply/", shared_folders.apply_rights, name="shared_folders_apply"),
    path(
        SHARED + "rights/<int:grant_id>/revoke/",
        shared_folders.revoke,
        name="shared_folders_revoke",
    ),
    path(SHARED + "outlook/", shared_folders.add_outlook, name="shared_folders_add"),
    path(
        SHARED + "<int:folder_id>/sign-off/",
        shared_folders.sign_off,
        name="shared_folders_sign_off",
    ),
    path(
        SHARED + "<int:folder_id>/withdraw/",
        shared_folders.withdraw,
        name="shared_folders_withdraw",
    ),
    path(SHARED + "<int:folder_id>/remove/", shared_folders.remove, name="shared_folders_remove"),
    path(FETCHING, fetching.accounts, name="fetch_accounts"),
    path(FETCHING + "rows/", fetching.rows, name="fetch_accounts_rows"),
    path(FETCHING + "add/", fetching.add, name="fetch_accounts_add"),
    path(FETCHING + "upload/", fetching.upload, name="fetch_accounts_upload"),
    path(FETCHING + "check/", fetching.check, name="fetch_accounts_check"),
    path(FETCHING + "export.csv", fetching.export, name="fetch_accounts_export"),
    path(
        FETCHING + "<int:account_id>/delete/", fetching.delete, name="fetch_accounts_delete"
    ),
]

# migration during operation: waves, pre-stage, delta copies and each user's cutover (issue 7)
WAVES = "migrations/<int:migration_id>/waves/"
CUTOVER = "migrations/<int:migration_id>/users/<int:user_id>/cutover/"
urlpatterns += [
    path(WAVES, waves.page, name="waves"),
    path(WAVES + "new/", waves.create, name="wave_create"),
    path(WAVES + "<int:wave_id>/", waves.edit, name="wave_edit"),
    path(WAVES + "<int:wave_id>/delete/", waves.delete, name="wave_delete"),
    path(WAVES + "assign/", waves.assign, name="waves_assign"),
    path(WAVES + "import/", waves.upload, name="waves_import"),
    path(WAVES + "settings/", waves.sync_settings, name="waves_settings"),
    path(WAVES + "copy/<str:what>/", waves.copy, name="waves_copy"),
    path(CUTOVER, cutover.page, name="cutover"),
    path(CUTOVER + "<str:what>/", cutover.act, name="cutover_action"),
]
