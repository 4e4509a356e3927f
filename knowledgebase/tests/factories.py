import factory

from knowledgebase import search
from knowledgebase.models import Category, Entry, QueryTask


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"分类{n}")

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        """A treebeard node: under ``parent`` when given, else a root."""
        existing = model_class.objects.filter(code=kwargs["code"]).first()
        if existing is not None:
            return existing
        if parent is not None:
            return model_class.objects.add_child(parent, create_kwargs=kwargs)
        return model_class.objects.add_root(create_kwargs=kwargs)


class EntryFactory(factory.django.DjangoModelFactory):
    """An entry with its search columns filled (and search_vector on PostgreSQL)."""

    class Meta:
        model = Entry
        skip_postgeneration_save = True

    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"测试口径{n}")
    body = "客户咨询时请按本口径答复。"
    keywords = ""
    version = 1

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.update(
            search.index_fields(
                title=kwargs["title"], body=kwargs["body"], keywords=kwargs["keywords"]
            )
        )
        entry = super()._create(model_class, *args, **kwargs)
        from knowledgebase.services import entry_reindex

        entry_reindex(entry_ids=[entry.pk])
        return entry


class QueryTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueryTask

    question = factory.Sequence(lambda n: f"客户问题{n}")
    answer = factory.SubFactory(EntryFactory)
