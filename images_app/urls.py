"""URLs of the image domain."""

from django.urls import path

from . import views

app_name = "images"

urlpatterns = [
    path("", views.home, name="home"),
    path("environments/<slug:slug>/", views.gallery, name="gallery"),
    path("environments/<slug:slug>/upload/", views.upload, name="upload"),
    path("environments/<slug:slug>/assets.json", views.assets_json, name="assets_json"),
    path("assets/<int:asset_id>/", views.asset_detail, name="asset_detail"),
    path("assets/<int:asset_id>/file/", views.asset_file, name="asset_file"),
    path("assets/<int:asset_id>/retry/", views.retry, name="asset_retry"),
    path("assets/<int:asset_id>/approve/", views.approve, name="asset_approve"),
    path("assets/<int:asset_id>/reject/", views.reject, name="asset_reject"),
]
