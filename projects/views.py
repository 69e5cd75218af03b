from django.http import HttpResponse


def my_projects(request):
    return HttpResponse("")
