from demo import views
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles import views as static_views
from django.urls import path, re_path
from django.views.generic import RedirectView

urlpatterns = [
    path("", views.home, name="home"),
    path("board/", RedirectView.as_view(url="/board/welcome/"), name="board-default"),
    path("board/<slug:slug>/", views.board, name="board"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/accounts/login/"), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("vendor/idiomorph.esm.js", views.idiomorph, name="idiomorph"),
    # The example serves its static files itself, also without DEBUG (a real site uses nginx
    # or WhiteNoise for this).
    re_path(r"^static/(?P<path>.*)$", static_views.serve, {"insecure": True}),
]
