from django.urls import path

from .views import action, protected_action

urlpatterns = [path("action/", action), path("action/protected/", protected_action)]
