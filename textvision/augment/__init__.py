"""textvision.augment"""
