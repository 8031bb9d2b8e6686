"""textvision.eval"""
