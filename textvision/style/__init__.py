"""textvision.style"""
