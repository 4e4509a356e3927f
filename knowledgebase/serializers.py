from rest_framework import serializers

from knowledgebase.models import Entry


class SearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="entry_id")
    title = serializers.CharField()
    category = serializers.CharField()
    version = serializers.IntegerField()
    title_html = serializers.CharField()
    snippet_html = serializers.CharField()


class EntrySerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    category_id = serializers.IntegerField()
    keywords = serializers.ListField(source="keyword_list", child=serializers.CharField())

    class Meta:
        model = Entry
        fields = ["id", "title", "category", "category_id", "body", "keywords", "effective_from", "effective_to",
                  "version", "updated_at"]


class NewEntryProposalInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    keywords = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    category_id = serializers.IntegerField()
    reason = serializers.CharField()


class RevisionProposalInput(NewEntryProposalInput):
    entry_id = serializers.IntegerField()
    base_version = serializers.IntegerField(min_value=1)
