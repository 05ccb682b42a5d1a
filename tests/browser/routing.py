from django.urls import path

from .calls import CallsConsumer
from .consumers import PageConsumer
from .dom import DomConsumer
from .recovery import websocket_urlpatterns as recovery_websocket_urlpatterns

websocket_urlpatterns = [path("ws/page/", PageConsumer.as_asgi()), path("ws/calls/", CallsConsumer.as_asgi())]
websocket_urlpatterns.append(path("ws/dom/", DomConsumer.as_asgi()))
websocket_urlpatterns += recovery_websocket_urlpatterns
