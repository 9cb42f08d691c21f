"""kgbuild: news articles in, a validated RDF knowledge graph of states, officials, meetings and agreements out."""

__version__ = "0.1.0"
