from accounts.navigation import navigation_for, navigation_menus


def navigation(request):
    if not hasattr(request, "user"):
        return {}
    items = navigation_for(request.user, request.path)
    return {"nav_items": items, "nav_menus": navigation_menus(items)}
