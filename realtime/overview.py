"""The halls a person oversees or runs, linked from the workbench: centre staff host them,
regulators watch them, the tenderee follows its own. Only what any visitor of a hall page
sees (code, name, opening time, stage): before the deadline nothing about bids [E21, E27]."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from realtime.models import Hall
from trading import access as trading_access


@require_safe
@login_required
def halls(request: HttpRequest) -> HttpResponse:
    sections = list(trading_access.sections_overseen_by(request.user))
    stages = {
        hall.section_id: hall for hall in Hall.objects.filter(section__in=[s.pk for s in sections])
    }
    rows = [(section, stages.get(section.pk)) for section in sections]
    return render(request, "realtime/halls.html", {"rows": rows})
