from django.http import HttpResponse


def portfolio_list(request):
    return HttpResponse("")
