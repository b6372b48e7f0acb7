"""URLs of the image domain."""

from django.urls import path

from .views import assets, audit, branding, environments, fragments, galleries, my_uploads, review, uploads

app_name = "images"

urlpatterns = [
    path("", galleries.home, name="home"),
    path("environments/<slug:slug>/", galleries.gallery, name="gallery"),
    path("environments/<slug:slug>/upload/", uploads.upload, name="upload"),
    path("environments/<slug:slug>/assets.json", galleries.assets_json, name="assets_json"),
    path(
        "environments/<slug:slug>/settings/", environments.environment_settings, name="environment_settings"
    ),
    path("environments/<slug:slug>/branding/", branding.branding, name="branding"),
    path("my-uploads/", my_uploads.my_uploads, name="my_uploads"),
    path("review/", review.review, name="review"),
    path("audit/", audit.audit, name="audit"),
    path("assets/<int:asset_id>/", assets.asset_detail, name="asset_detail"),
    path("assets/<int:asset_id>/file/", assets.asset_file, name="asset_file"),
    path("assets/<int:asset_id>/retry/", assets.retry, name="asset_retry"),
    path("assets/<int:asset_id>/approve/", assets.approve, name="asset_approve"),
    path("assets/<int:asset_id>/reject/", assets.reject, name="asset_reject"),
    path("assets/<int:asset_id>/delete/", assets.delete, name="asset_delete"),
    path("assets/<int:asset_id>/promote/", assets.promote, name="asset_promote"),
    path("assets/<int:asset_id>/apply/", assets.apply, name="asset_apply"),
    # Fragments the pages fetch to update themselves (HTML, drawn by the pages' own templates).
    path("environments/<slug:slug>/cards/", fragments.gallery_cards, name="gallery_cards"),
    path("my-uploads/cards/", fragments.my_upload_cards, name="my_upload_cards"),
    path("environments/<slug:slug>/upload/outcomes/", fragments.upload_outcomes, name="upload_outcomes"),
    path("assets/<int:asset_id>/state/", fragments.asset_state, name="asset_state"),
]
