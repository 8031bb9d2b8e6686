"""textvision.data"""
