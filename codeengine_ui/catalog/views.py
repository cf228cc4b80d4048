from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .models import Function


@require_GET
def function_list(request):
    functions = Function.objects.for_user_list(request.user)
    return render(request, "catalog/function_list.html", {"functions": functions})


@require_POST
def toggle_star(request, function_id: int):
    function = get_object_or_404(Function, pk=function_id)
    function.is_starred = not function.starred_by.filter(pk=request.user.pk).exists()
    if function.is_starred:
        function.starred_by.add(request.user)
    else:
        function.starred_by.remove(request.user)
    if request.htmx:
        return render(request, "catalog/function_list.html#star-button", {"function": function})
    return redirect("catalog:function_list")
