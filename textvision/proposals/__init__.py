"""textvision.proposals"""
