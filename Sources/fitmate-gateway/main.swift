print("fitmate-gateway: placeholder")
