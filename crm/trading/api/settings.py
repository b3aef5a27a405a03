"""Back-office API of the trading configuration: assets, market groups, the category tree, session overrides,
commission profiles and rules, downtimes, position durations, max risks and platform adapters.

Every write goes through `crm.trading.services`; permissions are the models' (dealers manage them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db.models import Model, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from crm.core.api.filters import IsoDateTimeFilter
from crm.trading import services
from crm.trading.models import (
    Asset,
    CommissionProfile,
    CommissionRule,
    Downtime,
    Instrument,
    MarketCategory,
    MarketGroup,
    MaxRisk,
    PlatformAdapter,
    PositionDuration,
    SessionOverride,
)
from crm.wallets.api.common import ERRORS, ActionPermissions, validated

# Serializers --------------------------------------------------------------------------------------------------


class AssetSerializer(serializers.ModelSerializer[Asset]):
    class Meta:
        model = Asset
        fields = ["id", "code", "name", "scale", "type", "source", "created_at", "updated_at"]
        read_only_fields = ["id", "source", "created_at", "updated_at"]


class MarketGroupSerializer(serializers.ModelSerializer[MarketGroup]):
    class Meta:
        model = MarketGroup
        fields = ["id", "name", "description"]
        read_only_fields = ["id"]


class SessionOverrideSerializer(serializers.ModelSerializer[SessionOverride]):
    sessions = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(max_length=5), min_length=2, max_length=2),
        required=False,
        help_text='That day\'s sessions in UTC, e.g. [["10:00", "14:00"]]; empty: closed all day.',
    )

    class Meta:
        model = SessionOverride
        fields = ["id", "instrument", "date", "sessions", "reason"]
        read_only_fields = ["id"]


class DowntimeSerializer(serializers.ModelSerializer[Downtime]):
    symbols = serializers.SlugRelatedField(
        source="instruments", slug_field="symbol", many=True, queryset=Instrument.objects.all()
    )

    class Meta:
        model = Downtime
        fields = ["id", "title", "starts_at", "ends_at", "symbols"]
        read_only_fields = ["id"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts and ends and ends <= starts:
            raise serializers.ValidationError({"ends_at": ["Must be after the start."]})
        if "instruments" in attrs and not attrs["instruments"]:
            raise serializers.ValidationError({"symbols": ["Name at least one symbol."]})
        return attrs


class PositionDurationSerializer(serializers.ModelSerializer[PositionDuration]):
    class Meta:
        model = PositionDuration
        fields = ["id", "seconds", "is_default"]
        read_only_fields = ["id"]


class MaxRiskSerializer(serializers.ModelSerializer[MaxRisk]):
    class Meta:
        model = MaxRisk
        fields = ["id", "amount", "is_default"]
        read_only_fields = ["id"]


class PlatformAdapterSerializer(serializers.ModelSerializer[PlatformAdapter]):
    secrets = serializers.DictField(
        child=serializers.CharField(max_length=500),
        write_only=True,
        required=False,
        help_text="Credentials, encrypted at rest and never returned; replaces the stored ones when sent.",
    )
    configuration = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        help_text="Plain settings of the adapter (names and text values).",
    )
    is_trading = serializers.BooleanField(read_only=True)
    secret_names = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Names of the stored credentials."
    )

    class Meta:
        model = PlatformAdapter
        fields = [
            "id", "name", "is_enabled", "type", "is_trading", "configuration", "secrets", "secret_names",
            "synced_until",
        ]  # fmt: skip
        read_only_fields = ["id", "secret_names", "synced_until"]


class CommissionProfileSerializer(serializers.ModelSerializer[CommissionProfile]):
    class Meta:
        model = CommissionProfile
        fields = ["id", "name", "description"]
        read_only_fields = ["id"]


class RulePrioritySerializer(serializers.Serializer[Any]):
    rule = serializers.IntegerField(min_value=1, help_text="A rule of the profile.")
    priority = serializers.IntegerField(min_value=1)


class TradingCommissionRuleSerializer(serializers.ModelSerializer[CommissionRule]):
    is_default = serializers.BooleanField(read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True, allow_null=True)
    market_group_name = serializers.CharField(source="market_group.name", read_only=True, allow_null=True)

    class Meta:
        model = CommissionRule
        fields = [
            "id", "profile", "priority", "is_default", "instrument", "symbol", "market_group", "market_group_name",
            "spot_fee_type", "spot_fee_size", "cfd_fee_asset", "cfd_fee_type", "cfd_fee_size", "min_fee",
        ]  # fmt: skip
        read_only_fields = ["id", "priority"]


class TradingCommissionRuleWriteSerializer(serializers.ModelSerializer[CommissionRule]):
    """A rule's scope and fees; on create `priority` places it (last by default) and `priorities` re-order."""

    priority = serializers.IntegerField(min_value=1, required=False, help_text="Create only.")
    priorities = RulePrioritySerializer(many=True, required=False, help_text="Other rules' new priorities.")

    class Meta:
        model = CommissionRule
        fields = [
            "profile", "priority", "instrument", "market_group", "spot_fee_type", "spot_fee_size", "cfd_fee_asset",
            "cfd_fee_type", "cfd_fee_size", "min_fee", "priorities",
        ]  # fmt: skip
        validators: list[Any] = []  # scope clashes are the service's (one rule, one message)


class RuleScopeSerializer(serializers.Serializer[Any]):
    instrument = serializers.PrimaryKeyRelatedField(queryset=Instrument.objects.all(), allow_null=True)
    market_group = serializers.PrimaryKeyRelatedField(queryset=MarketGroup.objects.all(), allow_null=True)


class CategoryMarketSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    symbol = serializers.CharField()
    description = serializers.CharField()


class CategoryNodeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    markets = CategoryMarketSerializer(many=True)


# A node's sub-categories have the node's own shape (the schema refers to the component from inside itself).
CategoryNodeSerializer._declared_fields["categories"] = CategoryNodeSerializer(many=True, help_text="Sub-categories.")


class CategoryInputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(required=False, allow_null=True, help_text="Keeps an existing category.")
    name = serializers.CharField(max_length=100)
    markets = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


CategoryInputSerializer._declared_fields["categories"] = CategoryInputSerializer(
    many=True, required=False, default=list, help_text="Sub-categories."
)


class CategoryTreeSerializer(serializers.Serializer[Any]):
    categories = CategoryInputSerializer(many=True)


class CategoryTreeOutSerializer(serializers.Serializer[Any]):
    categories = CategoryNodeSerializer(many=True)


# Viewsets -----------------------------------------------------------------------------------------------------


class ConfigViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet[Any],
):  # fmt: skip
    """CRUD of one configuration model through `services.save_config` / `delete_config`."""

    permission_classes = [ActionPermissions]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    related: tuple[str, ...] = ()

    def save(self, instance: Model, values: dict[str, Any]) -> Model:
        related = {name: values.pop(name) for name in self.related if name in values}
        return services.save_config(instance, actor=self.request.user, related=related, **values)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        model = self.get_queryset().model
        serializer.instance = self.save(model(), dict(serializer.validated_data))

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = self.save(cast(Model, serializer.instance), dict(serializer.validated_data))

    def perform_destroy(self, instance: Model) -> None:
        services.delete_config(instance, actor=self.request.user)


def _crud(name: str) -> Any:
    return extend_schema_view(
        list=extend_schema(summary=f"List {name}s"),
        retrieve=extend_schema(summary=f"Get a {name}"),
        create=extend_schema(summary=f"Create a {name}"),
        partial_update=extend_schema(summary=f"Update a {name}"),
        destroy=extend_schema(summary=f"Delete a {name}", description="409 `in_use` while something uses it."),
    )


class AssetFilterSet(filters.FilterSet):
    search = filters.CharFilter(field_name="code", lookup_expr="istartswith", label="Code starts with")
    type = filters.MultipleChoiceFilter(choices=Asset.Type.choices)

    class Meta:
        model = Asset
        fields: list[str] = []


@_crud("asset")
@extend_schema(tags=["trading settings"])
class AssetViewSet(ConfigViewSet):
    """Assets (currencies, coins, commodities) that accounts hold and markets quote."""

    queryset = Asset.objects.order_by("code")
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet


@_crud("market group")
@extend_schema(tags=["trading settings"])
class MarketGroupViewSet(ConfigViewSet):
    """Market groups: markets that share commission rules."""

    queryset = MarketGroup.objects.order_by("name")
    serializer_class = MarketGroupSerializer


class SessionOverrideFilterSet(filters.FilterSet):
    symbol = filters.CharFilter(field_name="instrument__symbol")
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lt")

    class Meta:
        model = SessionOverride
        fields: list[str] = []


@_crud("session override")
@extend_schema(tags=["trading settings"])
class SessionOverrideViewSet(ConfigViewSet):
    """Dated exceptions to instruments' weekly sessions (holidays, short days)."""

    queryset = SessionOverride.objects.order_by("date", "pk")
    serializer_class = SessionOverrideSerializer
    filterset_class = SessionOverrideFilterSet


class DowntimeFilterSet(filters.FilterSet):
    symbol = filters.CharFilter(field_name="instruments__symbol")
    active_at = IsoDateTimeFilter(method="filter_active_at", label="Active at this moment")

    class Meta:
        model = Downtime
        fields: list[str] = []

    def filter_active_at(self, queryset: QuerySet[Downtime], name: str, value: dt.datetime) -> QuerySet[Downtime]:
        return queryset.filter(starts_at__lte=value, ends_at__gt=value)


@_crud("downtime")
@extend_schema(tags=["trading settings"])
class DowntimeViewSet(ConfigViewSet):
    """Trading halts: orders on the listed symbols are refused (`in_downtime`) between start and end."""

    queryset = Downtime.objects.prefetch_related("instruments").order_by("-starts_at", "-pk")
    serializer_class = DowntimeSerializer
    filterset_class = DowntimeFilterSet
    related = ("instruments",)


@_crud("position duration")
@extend_schema(tags=["trading settings"])
class PositionDurationViewSet(ConfigViewSet):
    """Durations clients may pick for fixed-duration positions; one is the default."""

    queryset = PositionDuration.objects.order_by("seconds")
    serializer_class = PositionDurationSerializer

    def save(self, instance: Model, values: dict[str, Any]) -> Model:
        instance = cast(PositionDuration, instance)
        return services.save_position_duration(instance, actor=self.request.user, **values)


@_crud("max risk")
@extend_schema(tags=["trading settings"])
class MaxRiskViewSet(ConfigViewSet):
    """Amounts clients may put at risk on one position; one is the default."""

    queryset = MaxRisk.objects.order_by("amount")
    serializer_class = MaxRiskSerializer

    def save(self, instance: Model, values: dict[str, Any]) -> Model:
        instance = cast(MaxRisk, instance)
        return services.save_max_risk(instance, actor=self.request.user, **values)


class PlatformAdapterFilterSet(filters.FilterSet):
    only_trading = filters.BooleanFilter(method="filter_only_trading", label="Trading adapters only")

    class Meta:
        model = PlatformAdapter
        fields: list[str] = []

    def filter_only_trading(self, queryset: QuerySet[PlatformAdapter], name: str, value: bool) -> Any:
        return queryset.filter(type__in=PlatformAdapter.TRADING_TYPES) if value else queryset


@_crud("platform adapter")
@extend_schema(tags=["trading settings"])
class PlatformAdapterViewSet(ConfigViewSet):
    """Adapters to trading platforms and feeds: plain configuration plus encrypted credentials (never returned)."""

    queryset = PlatformAdapter.objects.order_by("name")
    serializer_class = PlatformAdapterSerializer
    filterset_class = PlatformAdapterFilterSet

    def save(self, instance: Model, values: dict[str, Any]) -> Model:
        instance = cast(PlatformAdapter, instance)
        return services.save_adapter(instance, actor=self.request.user, **values)


@_crud("commission profile")
@extend_schema_view(update=extend_schema(summary="Replace a commission profile"))
@extend_schema(tags=["trading settings"])
class CommissionProfileViewSet(ConfigViewSet):
    """Commission profiles; their rules are under commission-rules."""

    queryset = CommissionProfile.objects.order_by("name")
    serializer_class = CommissionProfileSerializer
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    action_permissions = {"priorities": ("trading.view_commissionrule", "trading.change_commissionrule")}

    @extend_schema(
        summary="Re-order a profile's rules",
        description="The named rules take their priorities, the others follow in their order; priorities become "
        "1..n; rules asking for the same priority keep their current order from it. 400 when a rule is not in the "
        "profile.",
        request=RulePrioritySerializer(many=True),
        responses={204: None, **ERRORS},
    )
    @action(detail=True, methods=["put"])
    def priorities(self, request: Request, pk: str | None = None) -> Response:
        values = validated(RulePrioritySerializer, request.data, many=True)
        services.set_rule_priorities(
            self.get_object(),
            [{"commissionProfileRuleId": v["rule"], "priority": v["priority"]} for v in values],
            actor=request.user,
        )
        return Response(status=204)


class CommissionRuleFilterSet(filters.FilterSet):
    profile = filters.NumberFilter(field_name="profile")
    instrument = filters.NumberFilter(field_name="instrument")
    market_group = filters.NumberFilter(field_name="market_group")

    class Meta:
        model = CommissionRule
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="List commission rules"),
    retrieve=extend_schema(summary="Get a commission rule"),
    create=extend_schema(
        summary="Create a commission rule",
        description="Placed at `priority` (last by default), the rules from there move down one.",
        request=TradingCommissionRuleWriteSerializer,
        responses={201: TradingCommissionRuleSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Update a commission rule",
        description="Scope and fees; the priority changes through `priorities` only.",
        request=TradingCommissionRuleWriteSerializer,
        responses={200: TradingCommissionRuleSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="Delete a commission rule", description="The priorities close the gap."),
)
@extend_schema(tags=["trading settings"])
class CommissionRuleViewSet(ConfigViewSet):
    """Prioritised commission rules of the profiles: per market, per market group, or the default."""

    queryset = CommissionRule.objects.select_related("instrument", "market_group").order_by("profile", "priority")
    serializer_class = TradingCommissionRuleSerializer
    filterset_class = CommissionRuleFilterSet
    action_permissions = {
        "validate_update": ("trading.view_commissionrule",),
        "validate_delete": ("trading.view_commissionrule",),
    }

    def _write(self, request: Request, rule: CommissionRule | None) -> Response:
        serializer = TradingCommissionRuleWriteSerializer(rule, data=request.data, partial=rule is not None)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        priorities = [
            {"commissionProfileRuleId": v["rule"], "priority": v["priority"]} for v in values.pop("priorities", [])
        ]
        if rule is None:
            profile = values.pop("profile", None)
            if profile is None:
                raise serializers.ValidationError({"profile": ["This field is required."]})
            rule = services.create_rule(profile, actor=request.user, priorities=priorities, **values)
            status = 201
        else:
            values.pop("profile", None)
            values.pop("priority", None)
            rule = services.update_rule(rule, actor=request.user, priorities=priorities, **values)
            status = 200
        return Response(TradingCommissionRuleSerializer(self.get_queryset().get(pk=rule.pk)).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(request, None)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(request, self.get_object())

    def perform_destroy(self, instance: Model) -> None:
        instance = cast(CommissionRule, instance)
        services.delete_rule(instance, actor=self.request.user)

    @extend_schema(
        summary="Check a change of a rule's scope",
        description="A dry run: 200 when `PATCH` with this market and market group would be accepted, else 400.",
        request=RuleScopeSerializer,
        responses={200: None, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="validate-update")
    def validate_update(self, request: Request, pk: str | None = None) -> Response:
        values = validated(RuleScopeSerializer, request.data)
        services.validate_rule_scope(self.get_object(), **values)
        return Response({})

    @extend_schema(
        summary="Check that a rule may be deleted",
        description="A dry run: 200 when `DELETE` would be accepted, else 400 `rule_in_use`.",
        request=None,
        responses={200: None, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="validate-delete")
    def validate_delete(self, request: Request, pk: str | None = None) -> Response:
        services.validate_rule_delete(self.get_object())
        return Response({})


@extend_schema(tags=["trading settings"])
class MarketCategoryViewSet(viewsets.GenericViewSet[MarketCategory]):
    """The market category tree, read and replaced whole."""

    queryset = MarketCategory.objects.all()
    permission_classes = [ActionPermissions]
    pagination_class = None
    filter_backends: list[Any] = []
    action_permissions = {
        "tree": ("trading.view_marketcategory",),
        "replace_tree": ("trading.view_marketcategory", "trading.change_marketcategory"),
    }

    @extend_schema(summary="Get the category tree", responses={200: CategoryTreeOutSerializer, **ERRORS})
    @action(detail=False, methods=["get"])
    def tree(self, request: Request) -> Response:
        return Response({"categories": CategoryNodeSerializer(services.category_tree(), many=True).data})

    @extend_schema(
        summary="Replace the category tree",
        description="The whole tree: categories with an `id` are kept (renamed, moved), new ones created, missing "
        "ones deleted. 400 `invalid_tree` for an unknown category or market; nothing changes then.",
        request=CategoryTreeSerializer,
        responses={200: CategoryTreeOutSerializer, **ERRORS},
    )
    @tree.mapping.put
    def replace_tree(self, request: Request) -> Response:
        values = validated(CategoryTreeSerializer, request.data)
        services.replace_category_tree(values["categories"], actor=request.user)
        return Response({"categories": CategoryNodeSerializer(services.category_tree(), many=True).data})
