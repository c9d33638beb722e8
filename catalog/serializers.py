from rest_framework import serializers

from store_project.api.serializers import ModelSerializer

from .models import Category


class CategorySerializer(ModelSerializer):
    product_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "product_count"]
