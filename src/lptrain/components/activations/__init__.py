"""One module per activation; :mod:`lptrain.components.registry` lists them."""
