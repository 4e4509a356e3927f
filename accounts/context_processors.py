import functools

from accounts.navigation import navigation_for, navigation_html, navigation_menus


def navigation(request):
    if not hasattr(request, "user"):
        return {}
    items = navigation_for(request.user, request.path)
    return {
        "nav_items": items,
        "nav_menus": navigation_menus(items),
        # rendered (or taken from the process's copy) only by a page that shows the top bar
        "nav_html": functools.partial(navigation_html, items, request.user.is_staff),
    }
