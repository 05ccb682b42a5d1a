from django.urls import path

from .board import BoardConsumer
from .home import HomeConsumer

websocket_urlpatterns = [
    path("ws/board/<slug:slug>/", BoardConsumer.as_asgi()),
    path("ws/home/", HomeConsumer.as_asgi()),
]
