from django.urls import path

from .consumers import CoreConsumer, GroupsConsumer

websocket_urlpatterns = [
    path("ws/core/", CoreConsumer.as_asgi()),
    path("ws/room/<str:room>/", GroupsConsumer.as_asgi()),
]
