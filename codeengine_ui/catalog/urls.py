from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("functions/import/", views.import_functions, name="import_functions"),
    path("functions/import/choices/", views.wiring_choices, name="wiring_choices"),
    path(
        "functions/<int:function_id>/refresh/", views.refresh_definition, name="refresh_definition"
    ),
    path("functions/<int:function_id>/edit/", views.edit_function, name="edit_function"),
    path("functions/<int:function_id>/delete/", views.delete_function, name="delete_function"),
    path("functions/<int:function_id>/key-inputs/", views.set_key_inputs, name="set_key_inputs"),
    path("functions/<int:function_id>/check-version/", views.check_version, name="check_version"),
    path("presets/<int:preset_id>/", views.edit_preset, name="edit_preset"),
    path("presets/<int:preset_id>/delete/", views.delete_preset, name="delete_preset"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/add/", views.token_add, name="token_add"),
    path("tokens/<int:token_id>/", views.token_detail, name="token_detail"),
    path("tokens/<int:token_id>/rotate/", views.token_rotate, name="token_rotate"),
    path("tokens/<int:token_id>/toggle/", views.token_toggle, name="token_toggle"),
    path("tokens/<int:token_id>/test/", views.token_test, name="token_test"),
    path("tokens/<int:token_id>/delete/", views.token_delete, name="token_delete"),
    path("instances/", views.instance_list, name="instance_list"),
    path("instances/add/", views.instance_form, name="instance_add"),
    path("instances/<int:instance_id>/", views.instance_form, name="instance_edit"),
    path("instances/<int:instance_id>/browse/", views.browse_instance, name="browse_instance"),
    path(
        "instances/<int:instance_id>/browse/<str:package_id>/",
        views.browse_instance,
        name="browse_package",
    ),
    path(
        "instances/<int:instance_id>/browse/<str:package_id>/<str:version>/",
        views.browse_instance,
        name="browse_version",
    ),
    path(
        "instances/<int:instance_id>/browse/<str:package_id>/<str:version>/save/",
        views.save_browsed_function,
        name="save_browsed_function",
    ),
]
