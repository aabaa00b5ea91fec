"""Shipped data of liuzhou-gis (installed as gis._layers); see README.md in this folder."""
