from django.urls import path

from .calls import CallsConsumer
from .consumers import PageConsumer

websocket_urlpatterns = [path("ws/page/", PageConsumer.as_asgi()), path("ws/calls/", CallsConsumer.as_asgi())]
