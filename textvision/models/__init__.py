"""textvision.models"""
