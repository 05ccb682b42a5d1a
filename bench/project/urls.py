from django.urls import path

from .views import action

urlpatterns = [path("action/", action)]
