from rest_framework import serializers

from accounts.models import Position
from competency import qsort
from competency.models import CompetencyItem, PositionCompetency


class CompetencyItemSerializer(serializers.ModelSerializer):
    module = serializers.SlugRelatedField(slug_field="code", read_only=True)
    module_name = serializers.CharField(source="module.name", read_only=True)

    class Meta:
        model = CompetencyItem
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "description",
            "module",
            "module_name",
            "ksao",
            "kind",
        ]


class PositionCompetencySerializer(serializers.ModelSerializer):
    item = CompetencyItemSerializer(read_only=True)
    behavioural_indicators = serializers.SerializerMethodField()

    class Meta:
        model = PositionCompetency
        fields = ["item", "weight", "target_score", "behavioural_indicators"]

    def get_behavioural_indicators(self, obj) -> list[str]:
        return [line.strip() for line in obj.behavioural_indicators.splitlines() if line.strip()]


class PositionModelSerializer(serializers.ModelSerializer):
    family = serializers.SlugRelatedField(slug_field="code", read_only=True)
    competencies = serializers.SerializerMethodField()

    class Meta:
        model = Position
        fields = ["code", "name", "name_en", "family", "competencies"]

    def get_competencies(self, obj) -> list[dict]:
        return PositionCompetencySerializer(self.context["competencies"], many=True).data


class PlacementSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    pile = serializers.ChoiceField(choices=list(qsort.PILES))
    rank = serializers.IntegerField(min_value=1)


class SubmissionInputSerializer(serializers.Serializer):
    placements = PlacementSerializer(many=True, allow_empty=False)

    def placements_list(self) -> list[qsort.Placement]:
        return [qsort.Placement(**p) for p in self.validated_data["placements"]]


class SubmissionOutputSerializer(serializers.Serializer):
    round = serializers.IntegerField(source="round_id")
    ranking = serializers.ListField(child=serializers.IntegerField())
    updated_at = serializers.DateTimeField()


class ResultRowSerializer(serializers.Serializer):
    item = CompetencyItemSerializer()
    position = serializers.IntegerField()
    mean_rank = serializers.FloatField()
    ranks = serializers.ListField(child=serializers.IntegerField())
    score = serializers.FloatField()
    weight = serializers.DecimalField(max_digits=7, decimal_places=5)
