from django.urls import path

from .consumers import PresenceRoom

websocket_urlpatterns = [path("ws/presence/<str:room>/", PresenceRoom.as_asgi())]
