from django import forms

from .roles import ASSIGNABLE_ROLES, Role


class RoleForm(forms.Form):
    role = forms.TypedChoiceField(
        choices=[(Role.NONE.value, Role.NONE.label)]
        + [(role.value, role.label) for role in ASSIGNABLE_ROLES],
        coerce=lambda value: Role(int(value)),
    )
