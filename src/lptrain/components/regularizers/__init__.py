"""One module per regularizer; :mod:`lptrain.components.registry` lists them."""
