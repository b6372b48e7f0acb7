"""App configuration for the image domain."""

from django.apps import AppConfig


class ImagesAppConfig(AppConfig):
    name = "images_app"
    verbose_name = "PingOne images"
