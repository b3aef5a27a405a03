"""001 "Settings — back office v2": assets, internal assets, commission profile rules and the market category tree
(markets are in `markets`).

Ids are strings as in the seed: an asset's `id` is its code (`BTC`), a market's `marketId` its symbol (`EURUSD`),
rules, profiles, market groups and categories by their numeric ids written as text. Fee `type` is one of
`Percent`, `PerLot`, `Fixed`; asset `type` one of `Fiat`, `Crypto`, `Commodity`, `Stock`, `Index`, `Other`;
asset `source` `Internal` (created here) or `External` (from a platform).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.core.api.errors import ErrorSerializer
from crm.trading import services
from crm.trading.compat.backoffice.authentication import BackApiTokenAuthentication, operation
from crm.trading.models import Asset, CommissionProfile, CommissionRule, FeeType, Instrument, MarketGroup

TAGS = ["back office v2 (seed 001)"]
ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}
ERRORS_404 = {**ERRORS, 404: ErrorSerializer}


class BackApiView(APIView):
    authentication_classes = [BackApiTokenAuthentication]


def _validated(serializer_class: type[serializers.Serializer[Any]], data: Any) -> Any:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _fee(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=24, decimal_places=10, min_value=Decimal(0), help_text=help_text)


def _numeric(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


# Assets -------------------------------------------------------------------------------------------------------


class BackApiAssetOutSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    id = serializers.CharField(source="code")
    scale = serializers.IntegerField()
    type = serializers.ChoiceField(choices=Asset.Type.choices)
    source = serializers.ChoiceField(choices=Asset.Source.choices)  # type: ignore[assignment]  # the seed names it so


class BackApiInternalAssetOutSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(source="code")
    name = serializers.CharField()
    scale = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Asset.Source.choices)  # type: ignore[assignment]  # the seed names it so
    type = serializers.ChoiceField(choices=Asset.Type.choices)


class BackApiInternalAssetUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    scale = serializers.IntegerField(min_value=0, max_value=18)
    type = serializers.ChoiceField(choices=Asset.Type.choices)


class BackApiInternalAssetCreateSerializer(BackApiInternalAssetUpdateSerializer):
    id = serializers.RegexField(r"^[A-Za-z0-9._-]+$", max_length=20, help_text="The asset's code, e.g. BTC.")

    def validate_id(self, value: str) -> str:
        if Asset.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("An asset with this id already exists."))
        return value


class AssetListView(BackApiView):
    permission_classes = [operation("view-common")]

    @extend_schema(
        tags=TAGS, summary="List assets", operation_id="backapi_v2_assets_list",
        responses={200: BackApiAssetOutSerializer(many=True), **ERRORS},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(BackApiAssetOutSerializer(Asset.objects.order_by("code"), many=True).data)


class InternalAssetCreateView(BackApiView):
    permission_classes = [operation("manage-assets")]

    @extend_schema(
        tags=TAGS, summary="Create an internal asset", operation_id="backapi_v2_internal_assets_create",
        request=BackApiInternalAssetCreateSerializer, responses={201: BackApiInternalAssetOutSerializer, **ERRORS},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = _validated(BackApiInternalAssetCreateSerializer, request.data)
        asset = services.save_config(
            Asset(source=Asset.Source.INTERNAL),
            actor=request.user,
            code=data["id"],
            name=data["name"],
            scale=data["scale"],
            type=data["type"],
        )
        return Response(BackApiInternalAssetOutSerializer(asset).data, status=status.HTTP_201_CREATED)


class InternalAssetUpdateView(BackApiView):
    permission_classes = [operation("manage-assets")]

    @extend_schema(
        tags=TAGS, summary="Update an internal asset", operation_id="backapi_v2_internal_assets_update",
        request=BackApiInternalAssetUpdateSerializer, responses={204: None, **ERRORS_404},
    )  # fmt: skip
    def put(self, request: Request, asset_id: str) -> Response:
        asset = Asset.objects.filter(code=asset_id, source=Asset.Source.INTERNAL).first()
        if asset is None:
            raise NotFound()
        data = _validated(BackApiInternalAssetUpdateSerializer, request.data)
        services.save_config(asset, actor=request.user, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Commission profile rules -------------------------------------------------------------------------------------


class BackApiSpotFeeSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=FeeType.choices)
    size = _fee()


class BackApiCfdFeeSerializer(serializers.Serializer[Any]):
    assetId = serializers.CharField(max_length=20, allow_null=True, required=False, help_text="Fee asset's id.")
    type = serializers.ChoiceField(choices=FeeType.choices)
    size = _fee()


class BackApiFeeSettingsSerializer(serializers.Serializer[Any]):
    spot = BackApiSpotFeeSerializer()
    cfd = BackApiCfdFeeSerializer()
    minFeeRAT = _fee("Minimum fee, in the root asset.")


class BackApiRulePrioritySerializer(serializers.Serializer[Any]):
    commissionProfileRuleId = serializers.RegexField(r"^[0-9]{1,18}$")
    priority = serializers.IntegerField(min_value=1)


class BackApiRuleScopeSerializer(serializers.Serializer[Any]):
    marketId = serializers.CharField(max_length=30, allow_null=True, required=False, help_text="A market's id.")
    marketGroupId = serializers.CharField(max_length=20, allow_null=True, required=False)


class BackApiRuleUpdateSerializer(BackApiRuleScopeSerializer):
    feeSettings = BackApiFeeSettingsSerializer()


class BackApiRuleCreateSerializer(BackApiRuleUpdateSerializer):
    priority = serializers.IntegerField(min_value=1, required=False, help_text="Where it goes; last by default.")


class BackApiRuleCreateRequestSerializer(serializers.Serializer[Any]):
    commissionProfileRule = BackApiRuleCreateSerializer()
    priorities = BackApiRulePrioritySerializer(many=True, required=False, default=list)


class BackApiRuleUpdateRequestSerializer(serializers.Serializer[Any]):
    commissionProfileRule = BackApiRuleUpdateSerializer()
    priorities = BackApiRulePrioritySerializer(many=True, required=False, default=list)


class BackApiRuleScopeRequestSerializer(serializers.Serializer[Any]):
    commissionProfileRule = BackApiRuleScopeSerializer()


class BackApiSpotFeeOutSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=FeeType.choices, source="spot_fee_type")
    size = serializers.DecimalField(max_digits=24, decimal_places=10, source="spot_fee_size")


class BackApiCfdFeeOutSerializer(serializers.Serializer[Any]):
    assetId = serializers.CharField(source="cfd_fee_asset.code", allow_null=True, default=None)
    type = serializers.ChoiceField(choices=FeeType.choices, source="cfd_fee_type")
    size = serializers.DecimalField(max_digits=24, decimal_places=10, source="cfd_fee_size")


class BackApiFeeSettingsOutSerializer(serializers.Serializer[Any]):
    spot = BackApiSpotFeeOutSerializer(source="*")
    cfd = BackApiCfdFeeOutSerializer(source="*")
    minFeeRAT = serializers.DecimalField(max_digits=24, decimal_places=10, source="min_fee")


class BackApiRuleOutSerializer(serializers.Serializer[Any]):
    commissionProfileRuleId = serializers.SerializerMethodField()
    priority = serializers.IntegerField()
    isDefault = serializers.BooleanField(source="is_default")
    feeSettings = BackApiFeeSettingsOutSerializer(source="*")
    marketId = serializers.CharField(source="instrument.symbol", allow_null=True, default=None)
    marketName = serializers.CharField(source="instrument.description", allow_null=True, default=None)
    marketGroupId = serializers.SerializerMethodField()
    marketGroupName = serializers.CharField(source="market_group.name", allow_null=True, default=None)
    commissionProfileId = serializers.SerializerMethodField()
    commissionProfileName = serializers.CharField(source="profile.name")

    def get_commissionProfileRuleId(self, rule: CommissionRule) -> str:
        return str(rule.pk)

    def get_marketGroupId(self, rule: CommissionRule) -> str | None:
        return None if rule.market_group_id is None else str(rule.market_group_id)

    def get_commissionProfileId(self, rule: CommissionRule) -> str:
        return str(rule.profile_id)


class BackApiIdSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()


class BackApiEmptySerializer(serializers.Serializer[Any]):
    pass


def _profile(profile_id: str) -> CommissionProfile:
    pk = _numeric(profile_id)
    profile = CommissionProfile.objects.filter(pk=pk).first() if pk is not None else None
    if profile is None:
        raise NotFound()
    return profile


def _rule(profile_id: str, rule_id: str) -> CommissionRule:
    profile = _profile(profile_id)
    pk = _numeric(rule_id)
    rule = (
        CommissionRule.objects.select_related("profile").filter(profile=profile, pk=pk).first()
        if pk is not None
        else None
    )
    if rule is None:
        raise NotFound()
    return rule


def _scope(data: dict[str, Any], prefix: str) -> dict[str, Any]:
    """`marketId` / `marketGroupId` read as the instrument and market group they name (null or absent: none)."""
    errors: dict[str, list[str]] = {}
    instrument = market_group = None
    if data.get("marketId"):
        instrument = Instrument.objects.filter(symbol=data["marketId"]).first()
        if instrument is None:
            errors[f"{prefix}.marketId"] = [_("Unknown market.")]
    if data.get("marketGroupId"):
        pk = _numeric(data["marketGroupId"])
        market_group = MarketGroup.objects.filter(pk=pk).first() if pk is not None else None
        if market_group is None:
            errors[f"{prefix}.marketGroupId"] = [_("Unknown market group.")]
    if errors:
        raise ValidationError(errors)
    return {"instrument": instrument, "market_group": market_group}


def _fees(fees: dict[str, Any], prefix: str) -> dict[str, Any]:
    asset = None
    code = fees["cfd"].get("assetId")
    if code:
        asset = Asset.objects.filter(code=code).first()
        if asset is None:
            raise ValidationError({f"{prefix}.feeSettings.cfd.assetId": [_("Unknown asset.")]})
    return {
        "spot_fee_type": fees["spot"]["type"],
        "spot_fee_size": fees["spot"]["size"],
        "cfd_fee_asset": asset,
        "cfd_fee_type": fees["cfd"]["type"],
        "cfd_fee_size": fees["cfd"]["size"],
        "min_fee": fees["minFeeRAT"],
    }


def _priorities(items: list[dict[str, Any]]) -> list[dict[str, int]]:
    return [
        {"commissionProfileRuleId": int(item["commissionProfileRuleId"]), "priority": item["priority"]}
        for item in items
    ]


class RulesView(BackApiView):
    def get_permissions(self) -> list[Any]:
        name = "view-commission-rules" if self.request.method == "GET" else "manage-commission-rules"
        return [operation(name)()]

    @extend_schema(
        tags=TAGS, summary="Rules of a commission profile", operation_id="backapi_v2_commission_rules_list",
        responses={200: BackApiRuleOutSerializer(many=True), **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, profile_id: str) -> Response:
        profile = _profile(profile_id)
        rules = profile.rules.select_related("instrument", "market_group", "cfd_fee_asset", "profile").order_by(
            "priority", "pk"
        )
        return Response(BackApiRuleOutSerializer(rules, many=True).data)

    @extend_schema(
        tags=TAGS, summary="Create a commission rule", operation_id="backapi_v2_commission_rules_create",
        description="Adds the rule at `priority` (last by default), then applies `priorities` to the other rules.",
        request=BackApiRuleCreateRequestSerializer, responses={201: BackApiIdSerializer, **ERRORS_404},
    )  # fmt: skip
    def post(self, request: Request, profile_id: str) -> Response:
        profile = _profile(profile_id)
        data = _validated(BackApiRuleCreateRequestSerializer, request.data)
        rule_data = data["commissionProfileRule"]
        values = {
            **_scope(rule_data, "commissionProfileRule"),
            **_fees(rule_data["feeSettings"], "commissionProfileRule"),
        }
        rule = services.create_rule(
            profile,
            actor=request.user,
            priority=rule_data.get("priority"),
            priorities=_priorities(data["priorities"]),
            **values,
        )
        return Response({"id": str(rule.pk)}, status=status.HTTP_201_CREATED)


class RuleView(BackApiView):
    permission_classes = [operation("manage-commission-rules")]

    @extend_schema(
        tags=TAGS, summary="Update a commission rule", operation_id="backapi_v2_commission_rules_update",
        description="Changes the rule's scope and fees (not its priority), then applies `priorities`.",
        request=BackApiRuleUpdateRequestSerializer, responses={204: None, **ERRORS_404},
    )  # fmt: skip
    def put(self, request: Request, profile_id: str, rule_id: str) -> Response:
        rule = _rule(profile_id, rule_id)
        data = _validated(BackApiRuleUpdateRequestSerializer, request.data)
        rule_data = data["commissionProfileRule"]
        values = {
            **_scope(rule_data, "commissionProfileRule"),
            **_fees(rule_data["feeSettings"], "commissionProfileRule"),
        }
        services.update_rule(rule, actor=request.user, priorities=_priorities(data["priorities"]), **values)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=TAGS, summary="Delete a commission rule", operation_id="backapi_v2_commission_rules_delete",
        responses={204: None, **ERRORS_404},
    )  # fmt: skip
    def delete(self, request: Request, profile_id: str, rule_id: str) -> Response:
        services.delete_rule(_rule(profile_id, rule_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleValidateUpdateView(BackApiView):
    permission_classes = [operation("manage-commission-rules")]

    @extend_schema(
        tags=TAGS, summary="Check a rule's scope change", operation_id="backapi_v2_commission_rules_validate_update",
        description="A dry run: 200 `{}` when the update would be accepted, 400 with the reason otherwise.",
        request=BackApiRuleScopeRequestSerializer, responses={200: BackApiEmptySerializer, **ERRORS_404},
    )  # fmt: skip
    def post(self, request: Request, profile_id: str, rule_id: str) -> Response:
        rule = _rule(profile_id, rule_id)
        data = _validated(BackApiRuleScopeRequestSerializer, request.data)
        services.validate_rule_scope(rule, **_scope(data["commissionProfileRule"], "commissionProfileRule"))
        return Response({})


class RuleValidateDeleteView(BackApiView):
    permission_classes = [operation("manage-commission-rules")]

    @extend_schema(
        tags=TAGS, summary="Check a rule's deletion", operation_id="backapi_v2_commission_rules_validate_delete",
        description="A dry run: 200 `{}` when the rule may be deleted, 400 with the reason otherwise.",
        request=None, responses={200: BackApiEmptySerializer, **ERRORS_404},
    )  # fmt: skip
    def post(self, request: Request, profile_id: str, rule_id: str) -> Response:
        services.validate_rule_delete(_rule(profile_id, rule_id))
        return Response({})


class RulePrioritiesView(BackApiView):
    permission_classes = [operation("manage-commission-rules")]

    @extend_schema(
        tags=TAGS, summary="Re-order commission rules", operation_id="backapi_v2_commission_rules_priorities",
        description="The named rules take their priorities; the others follow in their order, 1..n.",
        request=BackApiRulePrioritySerializer(many=True), responses={204: None, **ERRORS_404},
    )  # fmt: skip
    def put(self, request: Request, profile_id: str) -> Response:
        profile = _profile(profile_id)
        serializer = BackApiRulePrioritySerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        services.set_rule_priorities(profile, _priorities(list(serializer.validated_data)), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Market category tree -----------------------------------------------------------------------------------------


class BackApiCategoryMarketOutSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(source="symbol")
    displayName = serializers.CharField(source="symbol")
    fullName = serializers.CharField(source="description")


class BackApiCategoryOutSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    name = serializers.CharField()
    markets = BackApiCategoryMarketOutSerializer(many=True)


BackApiCategoryOutSerializer._declared_fields["categories"] = BackApiCategoryOutSerializer(
    many=True, help_text="Sub-categories."
)


class BackApiCategoryTreeOutSerializer(serializers.Serializer[Any]):
    categories = BackApiCategoryOutSerializer(many=True)


class BackApiCategoryInSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(
        max_length=20, required=False, allow_null=True, allow_blank=True, help_text="Keeps an existing category."
    )
    name = serializers.CharField(max_length=100)
    markets = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list, help_text="Market ids."
    )


BackApiCategoryInSerializer._declared_fields["categories"] = BackApiCategoryInSerializer(
    many=True, required=False, default=list, help_text="Sub-categories."
)


class BackApiCategoryTreeInSerializer(serializers.Serializer[Any]):
    categories = BackApiCategoryInSerializer(many=True)


def _tree_nodes(
    items: list[dict[str, Any]], symbols: dict[str, int], path: str, errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    nodes = []
    for index, item in enumerate(items):
        where = f"{path}.{index}"
        pk: int | None = None
        if item.get("id"):
            pk = _numeric(item["id"])
            if pk is None:
                errors[f"{where}.id"] = [_("Unknown category.")]
        unknown = [market for market in item["markets"] if market not in symbols]
        if unknown:
            errors[f"{where}.markets"] = [_("Unknown markets: %(ids)s.") % {"ids": ", ".join(unknown)}]
        nodes.append(
            {
                "id": pk,
                "name": item["name"],
                "markets": [symbols[market] for market in item["markets"] if market in symbols],
                "categories": _tree_nodes(item["categories"], symbols, f"{where}.categories", errors),
            }
        )
    return nodes


def _tree_answer() -> dict[str, Any]:
    def plain(node: dict[str, Any]) -> dict[str, Any]:
        return {**node, "id": str(node["id"]), "categories": [plain(child) for child in node["categories"]]}

    return BackApiCategoryTreeOutSerializer({"categories": [plain(node) for node in services.category_tree()]}).data


class MarketCategoriesView(BackApiView):
    def get_permissions(self) -> list[Any]:
        return [operation("view-common" if self.request.method == "GET" else "manage-markets-categories")()]

    @extend_schema(
        tags=TAGS, summary="Market category tree", operation_id="backapi_v2_markets_categories_get",
        responses={200: BackApiCategoryTreeOutSerializer, **ERRORS},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(_tree_answer())

    @extend_schema(
        tags=TAGS, summary="Replace the market category tree", operation_id="backapi_v2_markets_categories_put",
        description="The whole tree: categories named by an existing `id` are kept (renamed, moved), the others "
        "are deleted; `markets` are market ids. Answers the new tree.",
        request=BackApiCategoryTreeInSerializer, responses={200: BackApiCategoryTreeOutSerializer, **ERRORS},
    )  # fmt: skip
    def put(self, request: Request) -> Response:
        data = _validated(BackApiCategoryTreeInSerializer, request.data)
        symbols = dict(Instrument.objects.values_list("symbol", "pk"))
        errors: dict[str, list[str]] = {}
        nodes = _tree_nodes(data["categories"], symbols, "categories", errors)
        if errors:
            raise ValidationError(errors)
        with transaction.atomic():
            services.replace_category_tree(nodes, actor=request.user)
        return Response(_tree_answer())
