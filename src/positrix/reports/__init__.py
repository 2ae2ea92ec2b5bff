"""Pictures and reports of images and studies (layer 6)."""
