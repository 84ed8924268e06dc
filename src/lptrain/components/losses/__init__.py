"""One module per loss; :mod:`lptrain.components.registry` lists them."""
